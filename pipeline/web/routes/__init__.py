"""The station's pages, one router a group: `queue` (deciding items), `pictures` (the
images people decide on), `browse` (dashboard and stored pages), `upload`."""
