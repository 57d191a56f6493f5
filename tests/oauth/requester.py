"""A requester system driving Kho's consent flow with a real OAuth 2.0 client library
(Authlib's requests client), and a citizen's browser session (requests) giving consent.

Usage:
  requester.py flow BASE CLIENT_ID SECRET REDIRECT_URI USERNAME PASSWORD RELEASED UNRELEASED
  requester.py pull BASE TOKEN DOCUMENT_ID
Prints one JSON object on stdout.
"""
import html
import json
import os
import re
import sys

# Kho runs on http://127.0.0.1 in the tests; Authlib refuses plain http otherwise.
os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

import requests  # noqa: E402
from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402

PURPOSE = "Hồ sơ đăng ký hộ kinh doanh"


def sign_in(base, username, password):
    s = requests.Session()
    r = s.post(base + "/login", data={"username": username, "password": password, "next": "/me"},
               allow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    # The cookie is Secure; browsers send it to http://127.0.0.1 (a secure context),
    # Python's cookie jar only over https, so it is sent by hand.
    s.headers["Cookie"] = "kho_session=" + r.cookies["kho_session"]
    return s


def consent(base, citizen, client, release, decision="allow", verifier=None):
    verifier = verifier or generate_token(48)
    url, state = client.create_authorization_url(
        base + "/oauth/authorize", code_verifier=verifier, purpose=PURPOSE,
        documents="Giấy chứng nhận", max_age_days="30")
    page = citizen.get(url, allow_redirects=False)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    fields = [(html.unescape(k), html.unescape(v)) for k, v in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)]
    data = [(k, v) for k, v in fields if k != "document"] + [("decision", decision)]
    data += [("document", d) for d in release]
    r = citizen.post(base + "/oauth/authorize", data=data, allow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return page.text, r.headers["location"], verifier, state


def flow(base, client_id, secret, redirect_uri, username, password, released, unreleased):
    out = {}
    citizen = sign_in(base, username, password)

    def new_client():
        return OAuth2Session(client_id, secret, scope="documents:read", redirect_uri=redirect_uri,
                             code_challenge_method="S256")

    # Grant A: authorize, consent to one document, exchange the code with PKCE, pull.
    client = new_client()
    page, back, verifier, state = consent(base, citizen, client, [released])
    out["page_names_requester_and_purpose"] = "Cổng Dịch vụ công thử nghiệm" in page and PURPOSE in page
    out["page_offers_unreleased"] = unreleased in page
    token = client.fetch_token(base + "/oauth/token", authorization_response=back, code_verifier=verifier)
    out["token_type"] = token["token_type"]
    out["token_a"] = token["access_token"]
    out["grant_a"] = token["grant_id"]
    r = client.get(f"{base}/api/v1/documents/{released}/pdf")
    out["pull_released"] = [r.status_code, r.content[:5].decode("latin-1")]
    r = client.get(f"{base}/api/v1/documents/{released}")
    out["pull_released_metadata"] = r.status_code
    r = client.get(f"{base}/api/v1/documents/{unreleased}/pdf")
    out["pull_unreleased"] = r.status_code
    out["current_documents"] = client.get(f"{base}/api/v1/grants/current").json()["document_ids"]

    # The same code again: refused.
    code = dict(x.split("=", 1) for x in back.split("?", 1)[1].split("&"))["code"]
    r = requests.post(base + "/oauth/token", auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "code_verifier": verifier})
    out["code_reuse"] = [r.status_code, r.json().get("error")]

    # A wrong PKCE verifier: refused.
    client = new_client()
    _, back, _, _ = consent(base, citizen, client, [released])
    try:
        client.fetch_token(base + "/oauth/token", authorization_response=back,
                           code_verifier=generate_token(48))
        out["wrong_verifier"] = "accepted"
    except Exception as e:  # authlib raises OAuthError with the server's error code
        out["wrong_verifier"] = getattr(e, "error", str(e))

    # The citizen denies: the requester gets access_denied.
    client = new_client()
    _, back, _, _ = consent(base, citizen, client, [], decision="deny")
    out["denied"] = "error=access_denied" in back

    # Grant B, to be expired by the test.
    client = new_client()
    _, back, verifier, _ = consent(base, citizen, client, [released])
    token = client.fetch_token(base + "/oauth/token", authorization_response=back, code_verifier=verifier)
    out["token_b"] = token["access_token"]
    out["grant_b"] = token["grant_id"]
    r = client.get(f"{base}/api/v1/documents/{released}/pdf")
    out["pull_b"] = r.status_code
    print(json.dumps(out))


def pull(base, token, document_id):
    client = OAuth2Session(token={"access_token": token, "token_type": "Bearer"})
    r = client.get(f"{base}/api/v1/documents/{document_id}/pdf")
    print(json.dumps({"status": r.status_code}))


if __name__ == "__main__":
    if sys.argv[1] == "flow":
        flow(*sys.argv[2:10])
    else:
        pull(*sys.argv[2:5])
