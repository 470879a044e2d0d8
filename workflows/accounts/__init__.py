"""People, agencies, sign-in, tokens and delegations."""
