"""A real, local OpenID provider for the tests: discovery, JWKS, an authorisation
endpoint that answers at once, and a token endpoint that checks the client secret and
PKCE, then issues an ID token signed with joserfc (the JOSE library of authlib's
authors, which authlib's deprecated ``authlib.jose`` now points to). Served by wsgiref
on a thread on a free port. ``next_claims`` changes the next ID token's claims."""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

from joserfc import jwt
from joserfc.jwk import RSAKey


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class LocalProvider:
    client_id = "kairan-test"
    client_secret = "test-client-secret"  # noqa: S105 - the test provider's own

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
        self.codes = {}
        self.authorisations = []
        self.token_requests = []
        self.next_claims = {}
        self.sign_with_other_key = False
        self.sub = "resident-0001"
        self.server = make_server("127.0.0.1", 0, self, handler_class=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def reset(self):
        self.codes.clear()
        self.authorisations.clear()
        self.token_requests.clear()
        self.next_claims = {}
        self.sign_with_other_key = False
        self.sub = "resident-0001"

    def _json(self, start_response, body, status="200 OK"):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(data)))])
        return [data]

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/.well-known/openid-configuration":
            return self._json(start_response, {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "acr_values_supported": ["aal2", "aal3"],
            })
        if path == "/jwks":
            return self._json(start_response, {"keys": [self.key.as_dict(private=False)]})
        if path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
            self.authorisations.append(query)
            code = secrets.token_urlsafe(16)
            self.codes[code] = query
            location = query["redirect_uri"] + "?" + urlencode(
                {"code": code, "state": query["state"]})
            start_response("302 Found", [("Location", location)])
            return [b""]
        if path == "/token":
            return self.token(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        self.token_requests.append(form)
        expected = "Basic " + base64.b64encode(
            f"{self.client_id}:{self.client_secret}".encode()).decode()
        if environ.get("HTTP_AUTHORIZATION") != expected:
            return self._json(start_response, {"error": "invalid_client"}, "401 Unauthorized")
        request = self.codes.pop(form.get("code"), None)
        if request is None or form.get("redirect_uri") != request["redirect_uri"]:
            return self._json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if request.get("code_challenge_method") != "S256" or challenge != request.get(
                "code_challenge"):
            return self._json(start_response, {"error": "invalid_grant",
                                               "error_description": "PKCE"}, "400 Bad Request")
        now = int(time.time())
        claims = {"iss": self.url, "sub": self.sub, "aud": self.client_id, "iat": now,
                  "exp": now + 300, "nonce": request.get("nonce"),
                  "acr": request.get("acr_values")}
        claims.update(self.next_claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.other_key if self.sign_with_other_key else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return self._json(start_response, {"access_token": secrets.token_urlsafe(16),
                                           "token_type": "Bearer", "expires_in": 300,
                                           "id_token": id_token})
