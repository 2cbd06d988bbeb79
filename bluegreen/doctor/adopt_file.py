"""The file `import` writes: the adopted config, only what differs from a fresh config of the
same name and region (derived names stay derived), under a header naming the pipeline and, one
line each, what the account has that the config cannot say. Shared by `bluegreen import` and
the home screen's Adopt."""

from __future__ import annotations

import io
from typing import Any

from bluegreen.doctor.adopt import Adopted


def _minimal(config: Any) -> dict[str, Any]:
    """The config's data without what equals the defaults of a config of the same name and
    region: what the file needs to say, no more (derived names stay derived)."""
    from bluegreen.model.config import Config
    from bluegreen.model.configfile import to_data

    full, plain = to_data(config), to_data(Config(name=config.name, region=config.region))

    def strip(have: Any, default: Any) -> Any:
        if isinstance(have, dict) and isinstance(default, dict):
            kept = {k: strip(v, default.get(k)) for k, v in have.items() if v != default.get(k)}
            return {k: v for k, v in kept.items() if v != {}}
        return have

    data = strip(full, plain)
    return {"apiVersion": full["apiVersion"], "kind": full["kind"], "name": full["name"],
            "region": full["region"], **{k: v for k, v in data.items() if k not in ("apiVersion", "kind", "name",
                                                                                  "region")}}


def adopted_file_text(adopted: Adopted, pipeline: str, region: str) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(_minimal(adopted.config), stream)
    head = [f"# imported by 'bluegreen import' from pipeline {pipeline} in {region}"]
    if adopted.not_expressible:
        head.append("# not expressible: the account has these, the config cannot say them")
        head += [f"#   - {line}" for line in adopted.not_expressible]
    return "\n".join(head) + "\n" + stream.getvalue()
