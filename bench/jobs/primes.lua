local n, c = 30000, 0
for i = 2, n - 1 do
  local p = true
  for d = 2, math.floor(math.sqrt(i)) do
    if i % d == 0 then p = false break end
  end
  if p then c = c + 1 end
end
print(c)
