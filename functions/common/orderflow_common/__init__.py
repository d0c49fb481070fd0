"""Code shared by every orderflow function (deployed as the CommonLayer Lambda layer)."""
