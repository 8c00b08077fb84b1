"""Cryptographic extension encodings (Arm ARM C4.1.95: "Cryptographic AES", "Cryptographic
three-register SHA", "Cryptographic two-register SHA", and C4.1.96's "Cryptographic three-register,
imm2", "three-register SHA 512", "four-register", "XAR", "two-register SHA 512").

Each row is one opcode (or a run of opcodes of one feature), so each names exactly the feature
its instructions need; encodings of a group without a row (AES with size != 00, SHA opcode 111,
SM3PARTW/SM4EKEY's O=1 opcode 11, four-register Op0 11...) are unallocated. The semantics are
nbemu/gen/sem/crypto.py; PMULL .1Q (FEAT_PMULL) is an AdvSIMD three-different row
(nbemu/gen/encodings/simd.py).
"""
from .. import features as F
from ..decode import Pattern
from ..sem import crypto as C


def _row(name, layout, handler, args, feature):
    return Pattern(name, layout, handler, args, pure=True, feature=feature)


PATTERNS = [
    _row('AESE/AESD/AESMC/AESIMC', '01001110 00 10100 001 op:2 10 rn:5 rd:5', C.crypto_aes,
         lambda f: (f.op, f.rd, f.rn), F.AES),
    _row('SHA1C/SHA1P/SHA1M/SHA1SU0', '01011110 00 0 rm:5 0 0 op:2 00 rn:5 rd:5',
         C.crypto_sha3reg, lambda f: (f.op, f.rd, f.rn, f.rm), F.SHA1),
    _row('SHA256H/SHA256H2/SHA256SU1', '01011110 00 0 rm:5 0 1 op:2 00 rn:5 rd:5',
         C.crypto_sha3reg,
         lambda f: None if f.op == 3 else (C.SHA256H + f.op, f.rd, f.rn, f.rm), F.SHA256),
    _row('SHA1H/SHA1SU1', '01011110 00 10100 0000 op:1 10 rn:5 rd:5', C.crypto_sha2reg,
         lambda f: (f.op, f.rd, f.rn), F.SHA1),
    _row('SHA256SU0', '01011110 00 10100 00010 10 rn:5 rd:5', C.crypto_sha2reg,
         lambda f: (C.SHA256SU0, f.rd, f.rn), F.SHA256),
    _row('SHA512H/SHA512H2/SHA512SU1', '11001110 011 rm:5 1 0 00 op:2 rn:5 rd:5',
         C.crypto_sha512_3, lambda f: None if f.op == 3 else (f.op, f.rd, f.rn, f.rm), F.SHA512),
    _row('RAX1', '11001110 011 rm:5 1 0 00 11 rn:5 rd:5', C.crypto_sha512_3,
         lambda f: (C.RAX1, f.rd, f.rn, f.rm), F.SHA3),
    _row('SM3PARTW1/SM3PARTW2', '11001110 011 rm:5 1 1 00 0 op:1 rn:5 rd:5', C.crypto_sha512_3,
         lambda f: (C.SM3PARTW1 + f.op, f.rd, f.rn, f.rm), F.SM3),
    _row('SM4EKEY', '11001110 011 rm:5 1 1 00 10 rn:5 rd:5', C.crypto_sha512_3,
         lambda f: (C.SM4EKEY, f.rd, f.rn, f.rm), F.SM4),
    _row('SHA512SU0', '11001110 11000000 1000 00 rn:5 rd:5', C.crypto_sha512_2,
         lambda f: (C.SHA512SU0, f.rd, f.rn), F.SHA512),
    _row('SM4E', '11001110 11000000 1000 01 rn:5 rd:5', C.crypto_sha512_2,
         lambda f: (C.SM4E, f.rd, f.rn), F.SM4),
    _row('EOR3/BCAX', '11001110 0 0 op:1 rm:5 0 ra:5 rn:5 rd:5', C.crypto_4reg,
         lambda f: (f.op, f.rd, f.rn, f.rm, f.ra), F.SHA3),
    _row('SM3SS1', '11001110 0 10 rm:5 0 ra:5 rn:5 rd:5', C.crypto_4reg,
         lambda f: (C.SM3SS1, f.rd, f.rn, f.rm, f.ra), F.SM3),
    _row('XAR', '11001110 100 rm:5 imm6:6 rn:5 rd:5', C.crypto_xar,
         lambda f: (f.rd, f.rn, f.rm, f.imm6), F.SHA3),
    _row('SM3TT1A/SM3TT1B/SM3TT2A/SM3TT2B', '11001110 010 rm:5 10 imm2:2 op:2 rn:5 rd:5',
         C.crypto_sm3tt, lambda f: (f.op, f.rd, f.rn, f.rm, f.imm2), F.SM3),
]
