"""Releases: plans applied to the database, approvals of exact versions, staff actions, queries.

``transitions`` is the only writer of a release's state; every module here goes through it.
"""
