"""Removing the images a test made, when other tests build at the same time."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def remove_images(client: Any, references: Iterable[str]) -> None:
    """Remove each image (id or reference), forced. One that is already gone, or that another
    test's image still builds on (the classic builder shares cached layers between identical
    builds, so a parallel build of the sample site can be a child of ours: 409 "has dependent
    child images"), is left: its last user removes it."""
    import docker.errors

    for reference in references:
        try:
            client.images.remove(reference, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise
