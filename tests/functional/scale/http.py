"""A few lines of stdlib HTTP, so the scale-out test needs no client library."""

import http.client
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode


@dataclass
class Reply:
    status: int
    headers: list
    text: str

    def header(self, name):
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def cookies(self):
        jar = SimpleCookie()
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}


def request(port, method, path, cookies=None, form=None, headers=None, json_body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        body = None
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            sent["Content-Type"] = "application/json"
            sent["Accept"] = "application/json"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(),
                     response.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def get(port, path, cookies=None):
    return request(port, "GET", path, cookies=cookies)


def post(port, path, form, cookies=None):
    return request(port, "POST", path, cookies=cookies, form=form)
