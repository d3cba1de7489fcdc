"""A loopback stand-in for the OS Places API, answering from the sandbox gazetteer in its DPA shape (upper
case, LOCAL_CUSTODIAN_CODE instead of a GSS code), so the OS Places adapter is tested without the internet."""

from __future__ import annotations

import math
import re

from flask import Flask, jsonify, request

from connectors.os_places import NORFOLK_CUSTODIAN_GSS
from sandbox.gazetteer import addresses

API_KEY = "test-os-places-key"
GSS_CUSTODIAN = {gss: code for code, gss in NORFOLK_CUSTODIAN_GSS.items()}


def dpa(address) -> dict:
    *flat, street = address.lines
    number, _, thoroughfare = street.partition(" ")
    record = {
        "UPRN": address.uprn,
        "ADDRESS": ", ".join((*address.lines, address.town, address.postcode)).upper(),
        "BUILDING_NUMBER": number,
        "THOROUGHFARE_NAME": thoroughfare.upper(),
        "POST_TOWN": address.town.upper(),
        "POSTCODE": address.postcode,
        "LOCAL_CUSTODIAN_CODE": GSS_CUSTODIAN.get(address.lad_gss, "3550"),
        "LAT": address.latitude,
        "LNG": address.longitude,
    }
    if flat:
        record["SUB_BUILDING_NAME"] = flat[0].upper()
    return {"DPA": record}


def answer(found: list, offset: int = 0, size: int = 100):
    page = found[offset : offset + size]
    header = {"uri": request.url, "query": request.query_string.decode(), "totalresults": len(found)}
    return jsonify({"header": header, **({"results": [dpa(address) for address in page]} if page else {})})


def create_app() -> Flask:
    app = Flask(__name__)

    @app.before_request
    def check_key():
        if request.headers.get("key") != API_KEY:
            return jsonify(error={"statuscode": 401, "message": "Invalid API key"}), 401
        return None

    @app.get("/search/places/v1/postcode")
    def by_postcode():
        wanted = re.sub(r"\s+", "", request.args.get("postcode", "")).upper()
        if len(wanted) < 5:
            return jsonify(
                error={
                    "statuscode": 400,
                    "message": "Requested postcode must contain a minimum of the sector",
                }
            ), 400
        found = [a for a in addresses().values() if a.postcode.replace(" ", "") == wanted]
        size = int(request.args.get("maxresults", 100))
        return answer(found, int(request.args.get("offset", 0)), size)

    @app.get("/search/places/v1/uprn")
    def by_uprn():
        found = addresses().get(request.args.get("uprn", ""))
        return answer([found] if found else [])

    @app.get("/search/places/v1/nearest")
    def nearest():
        lat, lng = (float(part) for part in request.args["point"].split(","))
        radius = float(request.args.get("radius", 100))

        def metres(address):
            dy = (address.latitude - lat) * 111_320
            dx = (address.longitude - lng) * 111_320 * math.cos(math.radians(lat))
            return math.hypot(dx, dy)

        ranked = sorted(
            ((metres(a), a) for a in addresses().values() if metres(a) <= radius), key=lambda p: p[0]
        )
        return answer([address for _, address in ranked[:1]])

    return app
