"""Pure rules: facts and policy in, decisions out. No session, no clock."""
