"""The web pages of the browser SDK test: a shop's page with the official snippet of each SDK,
and a tiny static server for them and the npm packages (on another origin than unicx)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

HERE = Path(__file__).parent
MODULES = HERE / "node_modules"
# The builds a website loads: Segment's snippet loads analytics-next's standalone build (what
# cdn.segment.com serves as analytics.min.js); RudderStack's npm UMD build with its plugins.
SEGMENT_JS = MODULES / "@segment/analytics-next/dist/umd/standalone.js"
RUDDER_JS = MODULES / "@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js"

# Segment's analytics.js snippet (5.2.x), with the CDN pointed at unicx (`analytics._cdn`) and
# the script loaded from the site's own host.
SEGMENT_PAGE = """<!doctype html><html><head><title>Shop</title><script>
!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)
if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice."
);
else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm",
"pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off",
"on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware",
"register"];analytics.factory=function(e){return function(){if(window[i].initialized)
return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);
n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){
var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){
var t=document.createElement("script");t.type="text/javascript";t.async=!0;
t.setAttribute("data-global-segment-analytics-key",i);
t.src="/analytics.js/v1/"+key+"/analytics.min.js";var r=document.getElementsByTagName("script")[0];
r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey=WRITE_KEY;
analytics._cdn=UNICX_URL;analytics.SNIPPET_VERSION="5.2.1";
analytics.load(WRITE_KEY,LOAD_OPTIONS);
analytics.identify("lan-42",{email:"lan@example.vn",name:"Nguyễn Thị Lan"});
analytics.page("Trang chủ");
analytics.track("Product Viewed",{product_id:"sku-1",price:250000,currency:"VND"});
analytics.track("Order Completed",{order_id:"o-1",revenue:500000,currency:"VND"});
}}();
</script></head><body>shop</body></html>"""

RUDDER_PAGE = """<!doctype html><html><head><title>Shop</title>
<script src="/rudder/rsa.js"></script><script>
window.ra = new rudderanalytics.RudderAnalytics();
ra.load(WRITE_KEY, UNICX_URL, Object.assign({configUrl: UNICX_URL}, LOAD_OPTIONS));
ra.identify("minh-7", {email: "minh@example.vn", name: "Trần Văn Minh"});
ra.page("Shop", "Trang chủ");
ra.track("Product Viewed", {product_id: "sku-2", price: 120000, currency: "VND"});
ra.track("Order Completed", {order_id: "o-2", revenue: 240000, currency: "VND"});
</script></head><body>shop</body></html>"""


def page(template: str, *, write_key: str, unicx_url: str, load_options: object) -> bytes:
    values = {"WRITE_KEY": write_key, "UNICX_URL": unicx_url, "LOAD_OPTIONS": load_options}
    return re.sub("|".join(values), lambda m: json.dumps(values[m.group(0)]), template).encode()


class _Handler(SimpleHTTPRequestHandler):
    pages: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in self.pages:
            self._send(self.pages[path], "text/html; charset=utf-8")
        elif re.fullmatch(r"/analytics\.js/v1/[^/]+/analytics\.min\.js", path):
            self._send(SEGMENT_JS.read_bytes(), "application/javascript")
        elif path == "/favicon.ico":
            self._send(b"", "image/x-icon")
        elif path == "/rudder/rsa.js":
            self._send(RUDDER_JS.read_bytes(), "application/javascript")
        else:
            self.send_error(404)

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def site(pages: dict[str, bytes]) -> Iterator[str]:
    """The shop's own web server on localhost (another origin and site than unicx)."""
    handler = type("Handler", (_Handler,), {"pages": pages})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(HERE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
