"""Deliverable types guessed from the real "Kết quả/sản phẩm" texts of shared/fixtures."""

from __future__ import annotations

import pytest

import models
from demo.data import DEMO_TASKS
from workflows.importing.output_types import OUTPUT_TYPES, OutputGuess, guess_output_type

# (output text exactly as in the fixtures, task title when it matters, expected type)
CASES = [
    ("Chương trình được cấp có thẩm quyền phê duyệt.", None, "plan"),
    ("Đề án được cấp có thẩm quyền phê duyệt.", None, "plan"),
    ("Kế hoạch của UBND tỉnh", None, "plan"),
    ("Kế hoạch của Ban Thường vụ Tỉnh ủy", None, "plan"),
    ("Kế hoạch của Ban", None, "plan"),
    ("Kế hoạch", None, "plan"),
    ("- Kế hoạch của UBND tỉnh", None, "plan"),
    ("Quy chế", None, "plan"),
    ("Chương trình", None, "plan"),
    ("Đề án của UBND tỉnh", None, "plan"),
    ("Đề án được phê duyệt", None, "plan"),
    ("Đề án trình UBND tỉnh", None, "plan"),
    ("Nghị quyết về hỗ trợ các Tổ công nghệ số cộng đồng", None, "plan"),
    ("Xây dựng chính sách (vượt trội) đặc thù của tỉnh", None, "plan"),
    ("- Phê duyệt Đề án; - Hoàn thành triển khai", "Xây dựng và triển khai Đề án đô thị thông minh", "plan"),
    ("Quyết định thành lập Tiểu ban được cấp có thẩm quyền phê duyệt.", None, "decision"),
    ("Quyết định thành lập", "Thành lập khu công nghệ cao/khu công nghệ thông tin tập trung", "decision"),
    ("Quyết định của Ban", "Thành lập, kiện toàn Ban Chỉ đạo cấp tỉnh về đột phá phát triển khoa học, công nghệ, "
                           "đổi mới sáng tạo và chuyển đổi số", "decision"),
    ("Quyết định phê duyệt", "Rà soát, cập nhật, triển khai khung kiến trúc chuyên đổi số thống nhất trong các cơ quan "
                             "đảng phù hợp với mô hình chính quyền 2 cấp", "decision"),
    ("Quyết định của UBND tỉnh",
     "Kiện toàn mạng lưới ứng cứu sự cố an toàn, an ninh mạng trên địa bàn tỉnh để chủ động điều phối, ứng phó và "
     "phòng ngừa chủ động đối với các sự cố an toàn, an ninh mạng", "decision"),
    ("(1) Quyết định ban hành Bộ chỉ tiêu đánh giá CBCC; (2) Phần mềm đánh giá", None, "decision"),
    ("Thành lập Quỹ phát triển khoa học công nghệ của tỉnh", None, "decision"),
    # a bare "Quyết định phê duyệt" approves what the title drafts
    ("Quyết định phê duyệt", "Đề án xây dựng vườn ươm khởi nghiệp, không gian sáng tạo (co-working space) của một số "
                             "đơn vị tiềm năng trên địa bàn tỉnh.", "plan"),
    ("Quyết định của UBND tỉnh", "Xây dựng Đề án thí điểm triển khai bản sao số cho địa phương được lựa chọn để quản "
                                 "lý, phát triển.", "plan"),
    ("Quyết định phê duyệt của UBND tỉnh", "Dự án: Ứng dụng IoT trong một số ngành, lĩnh vực như: Sản xuất thương "
                                           "mại, quản lý năng lượng, nông nghiệp thông minh, y tế thông minh, các khu "
                                           "công nghiệp, cụm công nghiệp,...", "project"),
    ("Quyết định phê duyệt dự án", None, "project"),
    ("Quyết định phê đuyệt dự án", None, "project"),  # OCR: đuyệt
    ("Quyết định phê duyệt chủ trương đầu tư", "Đề án: Chuyển giao, ứng dụng kỹ thuật cao, kỹ thuật mới, kỹ thuật "
                                               "chuyên sâu tại các bệnh viện trên địa bàn tỉnh", "project"),
    ("Quyết định đầu tư", "Kiện toàn Quỹ phát triển khoa học và công nghệ tỉnh", "project"),
    ("Tờ trình báo cáo UBND tỉnh", None, "submission"),
    ("Tờ trình báo cáo UBND", None, "submission"),
    ("Báo cáo cấp có thẩm quyền kết quả thực hiện.", None, "report"),
    ("Báo cáo", None, "report"),
    ("Báo cáo thực hiện", None, "report"),
    ("Báo cáo kết quả thực hiện", None, "report"),
    ("Báo cáo kết quả kiểm tra, giám sát", None, "report"),
    ("Báo cáo của các cơ quan, đơn vị", None, "report"),
    ("Văn bản của cơ quan có thẩm quyền", None, "letter"),
    ("Văn bản chỉ đạo", None, "letter"),
    ("Tài liệu hướng dẫn", None, "letter"),
    ("Văn bản chỉ đạo, Kế hoạch, Quyết định", None, "letter"),
    ("Tham mưu, đề xuất với Ban Chỉ đạo cho chủ trương, định hướng, giải pháp thúc đẩy phát triển và tháo gỡ những "
     "vướng mắc, khó khăn", None, "letter"),
    ("Hoàn thành", None, "result"),
    ("Hoàn thành nhiệm vụ", None, "result"),
    ("Hoàn thành kết nối", None, "result"),
    ("Hoàn thành Đề án", "Triển khai thực hiện Đề án \"Lưu trữ tài liệu dữ liệu điện tử của các cơ quan nhà nước "
                         "tỉnh Thanh Hoá\"", "result"),
    ("Hoàn thành các CSDL quốc gia; các CSDL dùng chung của các bộ, ngành", None, "result"),
    ("Lựa chọn và hoàn thành các nền tảng số trên các lĩnh vực", None, "result"),
    ("Bài viết, phóng sự", None, "result"),
    ("Chuyên trang, chuyên mục", None, "result"),
    ("Hội nghị; văn bản hướng dẫn", None, "result"),
    ("Tổ chức các sự kiện: Ngày hội Khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số", None, "result"),
    ("Triển khai đến toàn thể người dân, CBCCVN trên địa bàn tỉnh", None, "result"),
    ("Triển khai kịp thời, hiệu quả, quyết liệt các cơ chế, chính sách của Trung ương", None, "result"),
    ("Thủ tục hành chính được tái cấu trúc, đơn giản hóa quy trình", None, "result"),
    ("Đảm bảo kinh phí, trang thiết bị đầu cuối", None, "result"),
    ("Phản dame đạt tỷ lệ 5%", None, "result"),  # OCR garbage of "Phấn đấu đạt tỷ lệ 5%"
    ('<ul style="list-style-type: none"> - Đối với hạ tầng và các hệ thống thông tin đang xây dựng hoặc sẽ triển khai '
     'trong thời gian tới, yêu cầu bắt buộc phải thực hiện phê duyệt cấp độ an toàn thông tin trước khi đưa vào vận '
     'hành chính thức.', None, "result"),
    # a deadline slipped into the output column: the title decides, with a low confidence
    ("Thường xuyên", "Phối hợp với các đơn vị thực hiện các giải pháp bảo vệ bí mật nhà nước, bảo mật, xác thực của "
                     "Ban Cơ yếu Chính phủ", "coordination"),
    ("Tháng 6/2025", "", "result"),
    # DOMAIN.md examples not found in the fixtures
    ("Phối hợp thực hiện", None, "coordination"),
    ("Văn bản tham gia ý kiến", None, "letter"),
]


@pytest.mark.parametrize(("output_text", "title", "expected"), CASES)
def test_real_outputs(output_text, title, expected):
    guess = guess_output_type(output_text, title)
    assert guess.output_type == expected
    assert 0 < guess.confidence <= 1
    assert guess.reason


def test_the_table_holds_enough_distinct_fixture_texts():
    assert len({text for text, _, _ in CASES}) >= 50


def test_agrees_with_the_hand_typed_demo_tasks():
    for task in DEMO_TASKS:
        assert guess_output_type(task["expected_output"], task["title"]).output_type == task["output_type"], task


def test_types_are_the_models_types():
    assert set(OUTPUT_TYPES) == set(models.OUTPUT_TYPES)


def test_reasons_quote_the_words_as_written():
    assert guess_output_type("Đề án được cấp có thẩm quyền phê duyệt.") == OutputGuess("plan", 0.9, "có từ “Đề án”")
    assert guess_output_type("Quyết định phê đuyệt dự án").reason == "có từ “Quyết định phê đuyệt dự án”"
    several = guess_output_type("Hội nghị; văn bản hướng dẫn")
    assert several.reason == "có từ “Hội nghị”; kết quả còn nêu “Văn bản”, lấy sản phẩm nêu trước"


def test_confidence_shows_how_much_a_person_should_check():
    clear = guess_output_type("Quyết định phê duyệt dự án").confidence
    bare = guess_output_type("Quyết định phê duyệt", "Dự án: Xây dựng phần mềm").confidence
    weak = guess_output_type("Triển khai Mô hình chuyên đổi số cấp xã").confidence
    from_title = guess_output_type("", "Dự án: Xây dựng phần mềm").confidence
    unknown = guess_output_type("Phấn đấu trong năm 2026, chỉ số phục vụ người dân, doanh nghiệp của tỉnh xếp trong "
                                "nhóm 10 tỉnh, thành phố dẫn đầu cả nước").confidence
    assert clear > bare > weak > from_title > unknown


@pytest.mark.parametrize("output_text", [None, "", "   ", "Thường xuyên", "Quý II năm 2026", "31/3/2026"])
def test_nothing_to_go_on(output_text):
    guess = guess_output_type(output_text)
    assert (guess.output_type, guess.confidence) == ("result", 0.2)
    assert "cần người xác nhận" in guess.reason


def test_the_title_is_read_when_the_output_is_empty():
    guess = guess_output_type(None, "Xây dựng Kế hoạch ứng phó sự cố bảo đảm an toàn, an ninh mạng")
    assert guess.output_type == "plan"
    assert guess.confidence < 0.6
    assert guess.reason == "kết quả/sản phẩm không nói rõ; tên nhiệm vụ có từ “Kế hoạch”"



def test_a_document_named_as_such_is_no_deliverable():
    """The document itself, one already issued, a manner and verbs name no deliverable (000's prose read "tại Công
    văn này" as a letter and "hoàn thành đúng thời hạn" as a completion: test_import_prose)."""
    assert guess_output_type("", "Triển khai Nghị quyết số 57-NQ/TW của Bộ Chính trị").output_type == "result"
    assert guess_output_type("", "Xây dựng Kế hoạch thực hiện Nghị quyết số 57-NQ/TW").output_type == "plan"
    assert guess_output_type("", "Hướng dẫn, đôn đốc các đơn vị thực hiện Kế hoạch này").output_type == "result"
