// SPDX-License-Identifier: MIT
// Rust panics through traced functions, caught with catch_unwind; built by
// test_unwind with rustc -C opt-level=2 (crate rsprog). With "wait", waits
// for a byte on stdin first. Prints a checksum; exits 4.
use std::io::Read;
use std::panic;

// Rust 1.63 (Debian 12) has no std::hint::black_box.
fn opaque(x: i32) -> i32 {
    unsafe { std::ptr::read_volatile(&x) }
}

#[inline(never)]
#[no_mangle]
pub fn rsprog_thrower(x: i32) -> i64 {
    if x % 2 == 1 {
        panic!("odd");
    }
    x as i64
}

#[inline(never)]
#[no_mangle]
pub fn rsprog_middle(x: i32) -> i64 {
    rsprog_thrower(opaque(x)) + 1
}

#[inline(never)]
#[no_mangle]
pub fn rsprog_plain(x: i32) -> i64 {
    opaque(x) as i64 * 2
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("wait") {
        let mut b = [0u8; 1];
        let _ = std::io::stdin().read(&mut b);
    }
    panic::set_hook(Box::new(|_| {}));
    let (mut sum, mut caught) = (0i64, 0);
    for i in 0..100 {
        match panic::catch_unwind(|| rsprog_middle(i)) {
            Ok(v) => sum += v,
            Err(_) => caught += 1,
        }
        sum += rsprog_plain(i);
    }
    println!("sum {} caught {}", sum, caught);
    std::process::exit(4);
}
