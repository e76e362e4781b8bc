"""Units (单位): employers with a verified contact who buy seats for their staff and register them in bulk."""
