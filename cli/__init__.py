"""The ``casedesk`` command line: a front end over ``core`` like the TUI.

It imports the TUI only inside the command that opens it, so shell commands
start fast and never load Textual.
"""
