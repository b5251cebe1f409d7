use std::env;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            let mask = (!(crc & 1)).wrapping_add(1);
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn main() {
    for arg in env::args().skip(1) {
        println!("{:08x}  {}", crc32(arg.as_bytes()), arg);
    }
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}
