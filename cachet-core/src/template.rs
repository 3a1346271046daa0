//! Logic-less incident templates. (Filled in by the template work of issue 2.)
