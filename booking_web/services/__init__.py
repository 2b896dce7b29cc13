"""Use cases as plain functions: verb_object(*, session, ..., now). They raise typed errors and commit."""
