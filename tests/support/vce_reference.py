# Independent reference encoder for VCE1 (docs/CANONICAL-ENCODING.md), used to produce test vectors.
import hashlib, struct
def enc(v):
    if isinstance(v, bool): return b'\x01' + (b'\x01' if v else b'\x00')
    if isinstance(v, tuple) and v[0]=='int': return b'\x03' + struct.pack('>q', v[1])
    if isinstance(v, int): return b'\x02' + struct.pack('>Q', v)
    if isinstance(v, str):
        b=v.encode(); return b'\x04' + struct.pack('>I', len(b)) + b
    if isinstance(v, (bytes, bytearray)): return b'\x05' + struct.pack('>I', len(v)) + bytes(v)
    if isinstance(v, list): return b'\x06' + struct.pack('>I', len(v)) + b''.join(enc(x) for x in v)
    if isinstance(v, dict):
        out=b'\x07'+struct.pack('>I', len(v))
        for k in sorted(v, key=lambda s: s.encode()):
            kb=k.encode(); out+=struct.pack('>I',len(kb))+kb+enc(v[k])
        return out
def dom(d, v): return enc(d)+enc(v)
ex = {"name":"Maya","age":7,"tags":["P3","P5"],"ok":True,"delta":('int',-2),"blob":bytes([0xde,0xad,0xbe,0xef])}
print("example", dom("vigil.example.v1", ex).hex())
print("example_sha", hashlib.sha256(dom("vigil.example.v1", ex)).hexdigest())
g = dom("vigil.journal.genesis.v1", {"chain_id":"device-1/session-1"})
gh = hashlib.sha256(g).digest()
print("genesis", gh.hex())
rec = {"boot_id":"boot-1","mono_ns":1000000000,"payload_hash":hashlib.sha256(b'{"v":1}').digest(),"prev_hash":gh,"seq":1,"type":"session.started","wall_ms":('int',1790000000000)}
print("record1_bytes", enc(rec).hex())
print("record1_hash", hashlib.sha256(dom("vigil.journal.record.v1", rec)).hexdigest())
