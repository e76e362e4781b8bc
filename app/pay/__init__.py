"""Orders and WeChat Pay, group purchase (a later work item)."""
