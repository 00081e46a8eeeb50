"""The fault suite: a package, so its package-scoped rig stops when its tests end."""
