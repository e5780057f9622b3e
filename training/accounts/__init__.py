"""People: accounts, roles, sign-in and one-time links."""
