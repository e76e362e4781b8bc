"""Orders and money in the staff console: order list and export, refunds with confirmation, reconciliation."""
