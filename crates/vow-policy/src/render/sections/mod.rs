//! The section builders, one file per group of sections. Each takes the policy and the phrase book and
//! returns blocks; none reads another.

mod collection;
mod contact;
mod safety;
mod sharing;
mod subjects;

pub(crate) use collection::*;
pub(crate) use contact::*;
pub(crate) use safety::*;
pub(crate) use sharing::*;
pub(crate) use subjects::*;
