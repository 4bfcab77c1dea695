"""JSON API of the official accounts (registered by ``wxpub.web.api``; read-only: accounts are
registered, rotated and disabled by admins on ``/admin/accounts`` or with ``wxpub account``).

* ``GET /api/v1/accounts``  ``{"accounts": [...], "page", "per_page", "total"}`` — the accounts the
  caller may see (a member of staff limited to some accounts sees only those), in registration
  order: ``code``, ``name``, ``appid``, ``type`` (subscription | service), ``type_name``,
  ``enabled``, ``callback_path`` (``/wechat/callback/<code>``). Never a secret.
"""

from __future__ import annotations

from flask import jsonify

from wxpub.accounts import registry
from wxpub.web import db_session
from wxpub.web.api_schema import Paging, operation, page_of, paged_answer, shape

TAG = "公众号"
ACCOUNT = shape({"code": "string", "name": "string", "appid": "string", "type": "string",
                 "type_name": "string", "enabled": "boolean", "callback_path": "string"})


def account_dict(account) -> dict:
    """One account as the API shows it (no credentials, not even whether they are set)."""
    return {"code": account.code, "name": account.name, "appid": account.appid,
            "type": account.account_type, "type_name": registry.type_name(account.account_type),
            "enabled": account.enabled, "callback_path": f"/wechat/callback/{account.code}"}


@operation("公众号列表（当前用户可见的）", tag=TAG, query=Paging, answer=paged_answer(ACCOUNT, "accounts"))
def list_accounts(query: Paging):
    """GET /api/v1/accounts — the accounts the caller may see."""
    answer = page_of(registry.listing(db_session()), query, "accounts")
    answer["accounts"] = [account_dict(a) for a in answer["accounts"]]
    return jsonify(answer)


ROUTES = [("/accounts", list_accounts, ["GET"])]
