"""Reading a scanned ballot page: place it, read its code, score its boxes.

Stages, one per module (see README.md): `omr.registration`, `omr.code`,
`omr.scoring`, `omr.decide`; errors in `omr.errors`; the printed geometry in
`omr.geometry`. Import the stage you need; this package imports nothing.
"""
