//! The `dialog-worker` binary as Lambda starts it (see `functions/refuses_to_start.rs`).

#[path = "../../refuses_to_start.rs"]
mod refuses_to_start;

#[test]
fn refuses_to_start_without_its_configuration() {
    refuses_to_start::check(env!("CARGO_BIN_EXE_dialog-worker"));
}
