"""评选: rating rounds over a series' published cases (``rounds``), the experts' sheets
(``sheets``), the results and commendations (``results``) and the XLSX export (``export``).

Every write is one transaction (``wxpub.infra.db.commit_or_roll_back``) with its audit row
(object type ``rating_round``); the arithmetic is ``wxpub.core.rating``'s.
"""
