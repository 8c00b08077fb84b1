"""The plugin core: QEMU's TCG plugin API for Python (api.py), the generation-tagged callback
table (table.py), scoreboards, and the manager that instruments TBs and runs plugin requests."""
