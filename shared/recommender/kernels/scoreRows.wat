(module
  ;; Grown by the caller to fit the factors, the vector and the scores; never shrunk.
  (memory (export "memory") 1)
  ;; out[r] = factors[r*k .. r*k+k] · vec + bias for every row: the whole-catalogue scoring loop of iALS.
  ;; k must be a multiple of 4 (the caller pads rows). Four rows share each load of vec; each row
  ;; keeps a 4-lane accumulator, so one pass over 100k × 64 factors is 1.6M f32x4 multiply-adds.
  ;; Built into scoreRowsWasm.ts by `npm run build:kernels`; a unit test checks the two agree.
  (func (export "scoreRows") (param $factors i32) (param $rows i32) (param $k i32) (param $vec i32) (param $out i32) (param $bias f32)
    (local $rowBytes i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $v i32) (local $vEnd i32)
    (local $row i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $x v128) (local $ab v128) (local $cd v128) (local $biases v128)
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $vEnd (i32.add (local.get $vec) (local.get $rowBytes)))
    (local.set $p0 (local.get $factors))
    (local.set $biases (f32x4.splat (local.get $bias)))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_u (i32.add (local.get $row) (i32.const 4)) (local.get $rows)))
        (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $c (v128.const i32x4 0 0 0 0))
        (local.set $d (v128.const i32x4 0 0 0 0))
        (local.set $v (local.get $vec))
        (loop $dims
          (local.set $x (v128.load (local.get $v)))
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $p0)) (local.get $x))))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load (local.get $p1)) (local.get $x))))
          (local.set $c (f32x4.add (local.get $c) (f32x4.mul (v128.load (local.get $p2)) (local.get $x))))
          (local.set $d (f32x4.add (local.get $d) (f32x4.mul (v128.load (local.get $p3)) (local.get $x))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
          (local.set $v (i32.add (local.get $v) (i32.const 16)))
          (br_if $dims (i32.lt_u (local.get $v) (local.get $vEnd))))
        ;; [a0+a2, a1+a3, b0+b2, b1+b3] and the same for c, d; then lanes 0,2 + lanes 1,3.
        (local.set $ab (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b))))
        (local.set $cd (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c) (local.get $d))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c) (local.get $d))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 2)))
          (f32x4.add
            (f32x4.add
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $ab) (local.get $cd))
              (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $ab) (local.get $cd)))
            (local.get $biases)))
        (local.set $p0 (local.get $p3))
        (local.set $row (i32.add (local.get $row) (i32.const 4)))
        (br $rows4)))
    ;; The last rows % 4, one at a time.
    (block $done
      (loop $rows1
        (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $v (local.get $vec))
        (loop $dims1
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $p0)) (v128.load (local.get $v)))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $v (i32.add (local.get $v) (i32.const 16)))
          (br_if $dims1 (i32.lt_u (local.get $v) (local.get $vEnd))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $row) (i32.const 2)))
          (f32.add
            (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
              (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a))))
            (local.get $bias)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows1)))))
