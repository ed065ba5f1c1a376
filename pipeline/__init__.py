"""kiemphieu's workflow around the reader (`omr`): the map of this package.

Each subpackage is a layer; a layer imports only the layers below it (checked
by import-linter in the test command, contracts in ``pyproject.toml``)::

    cli | web              the edges: the command line and the web station
      workflow             the steps a committee takes
        documents          what is printed, exported and verified
          reading | store  pages read against the campaign | the records
            domain         values and rules, no I/O

- `pipeline.domain`: the campaign file (`campaign`), the ballot's layout in
  millimetres (`layout`), the rule sets (`rules`, `eligibility`), the tally's
  arithmetic (`tally`), the committee (`committee`), the records a reading
  makes (`records`), the machine's reasons (`reasons`) and the words people
  read (`wording`, from the message catalogs in ``pipeline/locale``: English
  for the audit record, Vietnamese for people), the errors a user can meet
  (`errors`), the certificate's digest, its signature's check and how it is
  printed and read back (`certificate`).
- `pipeline.reading`: scan files into pages (`sources`), the ballot as printed
  for finding handwriting and matching a damaged code (`printed`), one page read against the campaign's
  layout (`page`, which runs `omr.page`, and the seal's policy), a page's
  colour for the seal (`colour`), the reading threads and processes
  (`workers`). Image bytes in, readings out; no database.
- `pipeline.store`: the tables (`schema`), the records in SQLite or PostgreSQL (`store`), the
  stacks' records (`stacks`), the workspace folder (`workspace`), the schema's migrations (`migrations`), the
  prints of the pages' handwriting and the pages held as the same sheet (`prints`), the hall
  switch (`hall`), the
  workspace's signing key (`keys`), the certified record and the certification
  history (`certificates`).
- `pipeline.documents`: what every document shares (`typography`: fonts,
  margins, headings, Vietnamese numbers and dates, Vietnam time), the printed
  ballot (`ballot_pdf`, its pen `ballot_pen`, its words and a test deck's
  words `ballot_text`), a document's parts as values set as PDF and Word
  (`form`, `form_pdf`, `form_docx`), the results chart (`chart`), people by khối (`grouping`), the
  minutes (`minutes`), the draft resolution or the report (`resolution`), the
  spreadsheets (`spreadsheets`, their cells never formulas: `cells`), the
  certified package (`export`, `verify`), the roll-up of many units
  (`aggregate`, its report `summary`), pictures of stored pages (`images`,
  `explain`).
- `pipeline.workflow`: scanning a stack in (`ingest`), stacks and withdrawing a
  whole stack (`stacks`), the test deck (`testdeck`), the same sheet seen twice
  (`samesheet`), the review queue
  (`review`), the chair's decisions on whole pages (`pages`), accounts
  (`users`), the committee's count and the lock (`certify`), stored rows
  decided again (`redecide`), the audit's re-reading (`retally`).
- `pipeline.cli`: ``kiemphieu``, one module a command group.
- `pipeline.web`: ``kiemphieu serve``: the app factory (`web.app`), who may do
  what (`web.auth`), the session's steps and the next one (`web.steps`), one
  router a group of pages (`web.routes`: the queue, the pictures, the pages, the
  upload, the chair's console, the hall).

Where things happen:

- a page's reading: ``kiemphieu scan`` (`cli.scan`) -> `workflow.ingest.ingest`
  -> `reading.workers` -> `reading.page.read_scan` -> `omr.page` (place, code,
  boxes, faults, notes, decisions; the print of the marks, `omr.likeness`) ->
  `workflow.samesheet.SheetIndex.match` -> `store.store.Store.add_pages` -> the
  tally, `store.workspace.Workspace.tally` (`domain.tally`);
- a review decision: the station's queue (`web.routes.queue`) ->
  `workflow.review.ReviewQueue.decide` -> the decision log in the store ->
  `Store.row_outcomes` -> the tally -> `workflow.certify.certify` ->
  `documents.export` -> the minutes (`documents.minutes`).

The simulator that makes test ballots is not part of the product: it is the
`simulator` package beside it, imported only by ``kiemphieu demo``
(`cli.demo`), the tests and the benchmarks.
"""
