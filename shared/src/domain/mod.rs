//! Pure domain logic: no I/O, no clocks read directly, fully unit-tested.

pub mod calendar;
pub mod citizen;
pub mod complaint;
pub mod content;
pub mod dialog;
pub mod nlp;
