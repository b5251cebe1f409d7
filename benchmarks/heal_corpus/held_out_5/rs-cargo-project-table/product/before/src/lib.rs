//! Virtual machine for eBPF programs: an interpreter for a subset of the
//! instruction set (ALU64 on immediates and registers, 32-bit loads, exit).

pub mod ebpf {
    pub const INSN_SIZE: usize = 8;
    pub const LD_W_REG: u8 = 0x61;
    pub const ADD64_IMM: u8 = 0x07;
    pub const ADD64_REG: u8 = 0x0f;
    pub const SUB64_IMM: u8 = 0x17;
    pub const MUL64_IMM: u8 = 0x27;
    pub const MOV64_IMM: u8 = 0xb7;
    pub const MOV64_REG: u8 = 0xbf;
    pub const EXIT: u8 = 0x95;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Insn {
        pub opc: u8,
        pub dst: u8,
        pub src: u8,
        pub off: i16,
        pub imm: i32,
    }

    pub fn get_insn(prog: &[u8], idx: usize) -> Insn {
        let i = idx * INSN_SIZE;
        Insn {
            opc: prog[i],
            dst: prog[i + 1] & 0x0f,
            src: (prog[i + 1] & 0xf0) >> 4,
            off: i16::from_le_bytes([prog[i + 2], prog[i + 3]]),
            imm: i32::from_le_bytes([prog[i + 4], prog[i + 5], prog[i + 6], prog[i + 7]]),
        }
    }
}

/// A virtual machine running a program on a packet / memory area given in r1.
pub struct EbpfVmRaw<'a> {
    prog: &'a [u8],
}

impl<'a> EbpfVmRaw<'a> {
    pub fn new(prog: &'a [u8]) -> Result<EbpfVmRaw<'a>, String> {
        if prog.len() % ebpf::INSN_SIZE != 0 || prog.is_empty() {
            return Err(format!("[Verifier] Error: program length must be a non-zero multiple of {} octets", ebpf::INSN_SIZE));
        }
        Ok(EbpfVmRaw { prog })
    }

    pub fn execute_program(&self, mem: &[u8]) -> Result<u64, String> {
        let mut reg = [0u64; 11];
        let mut pc = 0;
        while pc * ebpf::INSN_SIZE < self.prog.len() {
            let insn = ebpf::get_insn(self.prog, pc);
            pc += 1;
            let (dst, src) = (insn.dst as usize, insn.src as usize);
            match insn.opc {
                ebpf::LD_W_REG => {
                    let at = insn.off as usize;
                    let bytes = mem.get(at..at + 4).ok_or(format!("Error: out of bounds memory load (insn #{})", pc - 1))?;
                    reg[dst] = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as u64;
                }
                ebpf::ADD64_IMM => reg[dst] = reg[dst].wrapping_add(insn.imm as i64 as u64),
                ebpf::ADD64_REG => reg[dst] = reg[dst].wrapping_add(reg[src]),
                ebpf::SUB64_IMM => reg[dst] = reg[dst].wrapping_sub(insn.imm as i64 as u64),
                ebpf::MUL64_IMM => reg[dst] = reg[dst].wrapping_mul(insn.imm as i64 as u64),
                ebpf::MOV64_IMM => reg[dst] = insn.imm as i64 as u64,
                ebpf::MOV64_REG => reg[dst] = reg[src],
                ebpf::EXIT => return Ok(reg[0]),
                op => return Err(format!("Error: unknown eBPF opcode {op:#x} (insn #{})", pc - 1)),
            }
        }
        Err("Error: program did not exit".to_string())
    }
}
