"""Terminal emulation for the exec/attach view: a fast pyte screen (:mod:`crit.term.screen`) and key to byte
translation (:mod:`crit.term.keys`); no textual."""
