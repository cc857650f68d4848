"""The ceiling: a one-view Pyramid app on waitress with 8 threads (ANCHORS.md).

``python hello.py PORT``
"""

import sys

from pyramid.config import Configurator
from pyramid.response import Response
from waitress import serve


def hello(request):
    return Response("Hello, world!\n", content_type="text/plain")


def make_app():
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
        return config.make_wsgi_app()


if __name__ == "__main__":
    serve(make_app(), host="127.0.0.1", port=int(sys.argv[1]), threads=8, _quiet=True)
