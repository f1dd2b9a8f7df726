//! The name model.
