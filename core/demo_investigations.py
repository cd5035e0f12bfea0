"""Demo investigations at every stage (filled in once the service exists)."""


def walk(walker) -> None:
    return None
