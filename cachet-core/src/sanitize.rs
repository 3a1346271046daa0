//! Markdown to safe HTML. (Filled in by the sanitization work of issue 2.)
