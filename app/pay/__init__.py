"""Orders and WeChat Pay: checkout, notifications, settling, refunds, trade bills, group purchase."""
