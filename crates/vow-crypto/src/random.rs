use crate::CryptoError;

pub(crate) fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Rng)
}

pub(crate) fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// For the few constructors whose signatures cannot fail. The OS generator failing is not something a
/// user or the network controls, and continuing without randomness would be worse than stopping.
#[allow(clippy::panic)]
pub(crate) fn array_or_abort<const N: usize>() -> [u8; N] {
    match array::<N>() {
        Ok(a) => a,
        Err(_) => panic!("the operating system's random number generator failed"),
    }
}
