"""The web review station (``kiemphieu serve``): FastAPI, pages rendered on the server."""
