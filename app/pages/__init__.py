"""One module per page; layout only (data and actions live in `state`)."""
