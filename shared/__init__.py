"""The core of Phlebo: tables, domain rules, config and errors. Imports nothing of ours."""
