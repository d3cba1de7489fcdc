"""Any WSGI app served over real HTTP by werkzeug in a thread, on a free 127.0.0.1 port: the sandbox, a
scripted identity provider, the portal itself for the browser suite."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    """Keeps one log line per request out of the test output; errors still reach the app's logger."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    """Serves ``app`` from construction until stop(); ``port`` 0 lets the operating system choose."""

    def __init__(self, app, port: int = 0, host: str = "127.0.0.1"):
        self.app = app
        self.host = host
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever, name=f"live-server-{self.port}", daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
