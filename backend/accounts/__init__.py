"""People and their keys: accounts, sign-in, phones and PINs, API tokens."""
