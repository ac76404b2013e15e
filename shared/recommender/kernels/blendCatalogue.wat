(module
  ;; Grown by the caller to fit the warm factor rows, the vector, the warm item list, the content
  ;; scores, the output and the moments; never shrunk.
  (memory (export "memory") 1)

  ;; The moments of n float32 scores at $p, NaN skipped, written at $out as four f64: count, sum,
  ;; sum of squares, minimum (+inf when none). Sums run in f64 lanes, as the JavaScript
  ;; normalisation does, so sd = sqrt(squares/count - mean^2) does not lose its digits.
  (func (export "moments") (param $p i32) (param $n i32) (param $out i32)
    (local $i i32) (local $x v128) (local $m v128) (local $xz v128) (local $lo v128) (local $hi v128)
    (local $count v128) (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128) (local $min v128)
    (local $c f64) (local $sum f64) (local $squares f64) (local $least f32) (local $y f32) (local $inf v128)
    (local.set $inf (f32x4.splat (f32.const inf)))
    (local.set $min (local.get $inf))
    (block $done4
      (loop $four
        (br_if $done4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $x (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
        ;; All ones where the lane is a number; NaN lanes add 0 and count nothing.
        (local.set $m (f32x4.eq (local.get $x) (local.get $x)))
        (local.set $xz (v128.and (local.get $x) (local.get $m)))
        (local.set $count (i32x4.sub (local.get $count) (local.get $m)))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $xz)))
        (local.set $hi (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $xz) (local.get $xz))))
        (local.set $s0 (f64x2.add (local.get $s0) (local.get $lo)))
        (local.set $s1 (f64x2.add (local.get $s1) (local.get $hi)))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))
        (local.set $min (f32x4.min (local.get $min) (v128.bitselect (local.get $x) (local.get $inf) (local.get $m))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $four)))
    (local.set $c (f64.convert_i32_u (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $count)) (i32x4.extract_lane 1 (local.get $count)))
      (i32.add (i32x4.extract_lane 2 (local.get $count)) (i32x4.extract_lane 3 (local.get $count))))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $q0 (f64x2.add (local.get $q0) (local.get $q1)))
    (local.set $squares (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (local.set $least (f32.min
      (f32.min (f32x4.extract_lane 0 (local.get $min)) (f32x4.extract_lane 1 (local.get $min)))
      (f32.min (f32x4.extract_lane 2 (local.get $min)) (f32x4.extract_lane 3 (local.get $min)))))
    ;; The last n % 4, one at a time.
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $y (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
        (if (f32.eq (local.get $y) (local.get $y))
          (then
            (local.set $c (f64.add (local.get $c) (f64.const 1)))
            (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (local.get $y))))
            (local.set $squares (f64.add (local.get $squares)
              (f64.mul (f64.promote_f32 (local.get $y)) (f64.promote_f32 (local.get $y)))))
            (local.set $least (f32.min (local.get $least) (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $one)))
    (f64.store (local.get $out) (local.get $c))
    (f64.store offset=8 (local.get $out) (local.get $sum))
    (f64.store offset=16 (local.get $out) (local.get $squares))
    (f64.store offset=24 (local.get $out) (f64.promote_f32 (local.get $least))))

  ;; The hybrid's whole-catalogue blend in two passes, without touching the factors of cold items:
  ;;   every item i of n:  out[i] = coldSlope * content[i] - coldOffset   (text is all a cold item has)
  ;;   every warm row r:   out[w] = row_r . vec + bias + step * content[w]  where w = warm[r]
  ;; $vec is already scaled by the iALS slope. k must be a multiple of 4 (the caller pads rows);
  ;; four rows share each load of vec, as in scoreRows.
  (func (export "blend")
    (param $table i32) (param $rows i32) (param $k i32) (param $vec i32) (param $warm i32)
    (param $content i32) (param $out i32) (param $n i32)
    (param $bias f32) (param $step f32) (param $coldSlope f32) (param $coldOffset f32)
    (local $i i32) (local $rowBytes i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $v i32) (local $vEnd i32) (local $row i32) (local $at i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $x v128) (local $ab v128) (local $cd v128)
    (local $dots v128) (local $slopes v128) (local $offsets v128)
    ;; Pass 1: every item as cold.
    (local.set $slopes (f32x4.splat (local.get $coldSlope)))
    (local.set $offsets (f32x4.splat (local.get $coldOffset)))
    (block $coldDone4
      (loop $cold4
        (br_if $coldDone4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $at))
          (f32x4.sub
            (f32x4.mul (local.get $slopes) (v128.load (i32.add (local.get $content) (local.get $at))))
            (local.get $offsets)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $cold4)))
    (block $coldDone
      (loop $cold1
        (br_if $coldDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.sub
            (f32.mul (local.get $coldSlope) (f32.load (i32.add (local.get $content) (local.get $at))))
            (local.get $coldOffset)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cold1)))
    ;; Pass 2: the warm rows, four at a time.
    (local.set $rowBytes (i32.shl (local.get $k) (i32.const 2)))
    (local.set $vEnd (i32.add (local.get $vec) (local.get $rowBytes)))
    (local.set $p0 (local.get $table))
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
        (local.set $ab (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b))))
        (local.set $cd (f32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c) (local.get $d))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c) (local.get $d))))
        (local.set $dots (f32x4.add
          (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $ab) (local.get $cd))
          (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $ab) (local.get $cd))))
        ;; Each of the four rows lands on its own item.
        (local.set $at (i32.shl (i32.load (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $dots)) (local.get $bias))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=4 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32.add (f32x4.extract_lane 1 (local.get $dots)) (local.get $bias))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=8 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32.add (f32x4.extract_lane 2 (local.get $dots)) (local.get $bias))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=12 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32.add (f32x4.extract_lane 3 (local.get $dots)) (local.get $bias))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
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
        (local.set $at (i32.shl (i32.load (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add
            (f32.add
              (f32.add
                (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
                (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a))))
              (local.get $bias))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows1))))
  ;; The largest of every block of $size scores (the last block may be short), for a top-k that
  ;; skips whole blocks below its weakest entry. NaN counts as -inf, as the top-k ranks it: pmax
  ;; (a < b ? b : a) keeps the running maximum when b is NaN, and is one instruction where max's
  ;; NaN rules cost several. An all-NaN block gets -inf. $size must be a multiple of 4.
  (func (export "blockMaxima") (param $scores i32) (param $n i32) (param $size i32) (param $out i32)
    (local $start i32) (local $end i32) (local $i i32) (local $max v128) (local $m f32) (local $y f32)
    (block $blocksDone
      (loop $blocks
        (br_if $blocksDone (i32.ge_u (local.get $start) (local.get $n)))
        (local.set $end (i32.add (local.get $start) (local.get $size)))
        (if (i32.gt_u (local.get $end) (local.get $n)) (then (local.set $end (local.get $n))))
        (local.set $max (f32x4.splat (f32.const -inf)))
        (local.set $i (local.get $start))
        (block $fourDone
          (loop $four
            (br_if $fourDone (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end)))
            (local.set $max (f32x4.pmax (local.get $max)
              (v128.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $four)))
        ;; Lanes hold numbers or -inf only, so f32.max has no NaN to meet here.
        (local.set $m (f32.max
          (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
          (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))
        (block $oneDone
          (loop $one
            (br_if $oneDone (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $y (f32.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2)))))
            (if (f32.gt (local.get $y) (local.get $m)) (then (local.set $m (local.get $y))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $one)))
        (f32.store (local.get $out) (local.get $m))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $start (local.get $end))
        (br $blocks))))
  ;; The blend over int8 factor rows: a quarter of the bytes of blend's f32 rows, which is what a
  ;; whole-catalogue pass waits on once other processes share the memory bus. Row r is
  ;; $scales[r] * q_r (q_r: $k16 int8, padded with zeros); the vector is $vecScale * w (w: $k16
  ;; int16). Each 16-dim step widens 16 int8 to two i16x8 and adds two i32x4.dot_i16x8_s, exact
  ;; in i32 (|q| <= 127, |w| <= 32767, k <= 256). Then, as blend does:
  ;;   every item i of n:  out[i] = coldSlope * content[i] - coldOffset
  ;;   every warm row r:   out[w] = f32(q_r . w) * scales[r] * vecScale + bias + step * content[w]
  ;; The caller knows the error this leaves and refines the few items near its list's cut.
  (func (export "blendQuantized")
    (param $table i32) (param $rows i32) (param $k16 i32) (param $vec i32) (param $warm i32) (param $scales i32)
    (param $content i32) (param $out i32) (param $n i32)
    (param $vecScale f32) (param $bias f32) (param $step f32) (param $coldSlope f32) (param $coldOffset f32)
    (local $i i32) (local $rowBytes i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $v i32) (local $vEnd i32) (local $row i32) (local $at i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $lo v128) (local $hi v128) (local $x v128)
    (local $ab v128) (local $cd v128) (local $dots v128) (local $slopes v128) (local $offsets v128) (local $biases v128)
    (local $q f32)
    ;; Pass 1: every item as cold.
    (local.set $slopes (f32x4.splat (local.get $coldSlope)))
    (local.set $offsets (f32x4.splat (local.get $coldOffset)))
    (block $coldDone4
      (loop $cold4
        (br_if $coldDone4 (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $out) (local.get $at))
          (f32x4.sub
            (f32x4.mul (local.get $slopes) (v128.load (i32.add (local.get $content) (local.get $at))))
            (local.get $offsets)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $cold4)))
    (block $coldDone
      (loop $cold1
        (br_if $coldDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.sub
            (f32.mul (local.get $coldSlope) (f32.load (i32.add (local.get $content) (local.get $at))))
            (local.get $coldOffset)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cold1)))
    ;; Pass 2: the warm rows, four at a time.
    (local.set $rowBytes (local.get $k16))
    (local.set $vEnd (i32.add (local.get $vec) (i32.shl (local.get $k16) (i32.const 1))))
    (local.set $p0 (local.get $table))
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
          (local.set $lo (v128.load (local.get $v)))
          (local.set $hi (v128.load offset=16 (local.get $v)))
          (local.set $x (v128.load (local.get $p0)))
          (local.set $a (i32x4.add (local.get $a) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (local.get $lo))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (local.get $hi)))))
          (local.set $x (v128.load (local.get $p1)))
          (local.set $b (i32x4.add (local.get $b) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (local.get $lo))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (local.get $hi)))))
          (local.set $x (v128.load (local.get $p2)))
          (local.set $c (i32x4.add (local.get $c) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (local.get $lo))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (local.get $hi)))))
          (local.set $x (v128.load (local.get $p3)))
          (local.set $d (i32x4.add (local.get $d) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (local.get $lo))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (local.get $hi)))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $p1 (i32.add (local.get $p1) (i32.const 16)))
          (local.set $p2 (i32.add (local.get $p2) (i32.const 16)))
          (local.set $p3 (i32.add (local.get $p3) (i32.const 16)))
          (local.set $v (i32.add (local.get $v) (i32.const 32)))
          (br_if $dims (i32.lt_u (local.get $v) (local.get $vEnd))))
        ;; Row sums as [A, B, C, D], then to f32, times each row's scale and the vector's.
        (local.set $ab (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b))))
        (local.set $cd (i32x4.add
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $c) (local.get $d))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $c) (local.get $d))))
        (local.set $dots (f32x4.add
          (f32x4.mul
            (f32x4.mul
              (f32x4.convert_i32x4_s (i32x4.add
                (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $ab) (local.get $cd))
                (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $ab) (local.get $cd))))
              (v128.load (i32.add (local.get $scales) (i32.shl (local.get $row) (i32.const 2)))))
            (f32x4.splat (local.get $vecScale)))
          (local.get $biases)))
        (local.set $at (i32.shl (i32.load (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32x4.extract_lane 0 (local.get $dots))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=4 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32x4.extract_lane 1 (local.get $dots))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=8 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32x4.extract_lane 2 (local.get $dots))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $at (i32.shl (i32.load offset=12 (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (f32x4.extract_lane 3 (local.get $dots))
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
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
          (local.set $x (v128.load (local.get $p0)))
          (local.set $a (i32x4.add (local.get $a) (i32x4.add
            (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $x)) (v128.load (local.get $v)))
            (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $x)) (v128.load offset=16 (local.get $v))))))
          (local.set $p0 (i32.add (local.get $p0) (i32.const 16)))
          (local.set $v (i32.add (local.get $v) (i32.const 32)))
          (br_if $dims1 (i32.lt_u (local.get $v) (local.get $vEnd))))
        (local.set $q (f32.add
          (f32.mul
            (f32.mul
              (f32.convert_i32_s (i32.add
                (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
                (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
              (f32.load (i32.add (local.get $scales) (i32.shl (local.get $row) (i32.const 2)))))
            (local.get $vecScale))
          (local.get $bias)))
        (local.set $at (i32.shl (i32.load (i32.add (local.get $warm) (i32.shl (local.get $row) (i32.const 2)))) (i32.const 2)))
        (f32.store (i32.add (local.get $out) (local.get $at))
          (f32.add (local.get $q)
            (f32.mul (local.get $step) (f32.load (i32.add (local.get $content) (local.get $at))))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows1)))))
