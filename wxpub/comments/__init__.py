"""Readers' comments (留言) under published articles: follow the articles, pull the comments,
send the office's replies and other changes through the outbox, and the queries pages show.

* ``articles`` — every published release gives one ``CommentArticle`` per article (lazily, by the pull)
* ``pull``     — ``comment/list`` of every followed article, stored in one transaction
* ``actions``  — reply / 精选 / delete / open / close: request (one transaction) then deliver
* ``overdue``  — the "unanswered too long" alert, raised once per comment
* ``queries``  — the inbox, one article's comments, counts, reply times
"""
