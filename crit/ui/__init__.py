"""The Textual UI: the app and its main screen (:mod:`crit.ui.app`), and the screens and widgets it opens,
grouped by area."""
