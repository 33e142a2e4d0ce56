"""What a user asks the mock to get wrong on purpose: fault rules and scenario files."""
