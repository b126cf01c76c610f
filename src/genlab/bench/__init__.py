"""Speed harness (`genlab bench ...`), separate from the tests."""
