"""The provider's signing key: generated on first run, then read from the sandbox instance folder so that
tokens stay verifiable across restarts."""

from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey, RSAKey

GENERATORS = {
    "RS256": lambda kid: RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}),
    "ES256": lambda kid: ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"}),
}


def load_or_create_signing_key(directory: Path, algorithm: str) -> RSAKey | ECKey:
    if algorithm not in GENERATORS:
        raise ValueError(f"the sandbox identity provider signs with {', '.join(GENERATORS)}, not {algorithm}")
    path = directory / f"signing-key-{algorithm.lower()}.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return (RSAKey if algorithm == "RS256" else ECKey).import_key(data)
    key = GENERATORS[algorithm](f"sandbox-{algorithm.lower()}")
    directory.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so that a second process starting at the same moment never reads half a key.
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    partial.chmod(0o600)
    partial.replace(path)
    return key
