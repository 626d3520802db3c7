"""Reports for leads over what the other features record: relationship health per constituent group."""
